import { isDatabaseUnavailable } from "./unavailable";

describe("isDatabaseUnavailable", () => {
  it.each([
    [Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })],
    [new Error("Connection terminated unexpectedly")],
    [new Error("timeout exceeded when trying to connect")],
    [Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" })],
    [Object.assign(new Error("x"), { driverError: { code: "08006" } })],
    [Object.assign(new Error("connect ENOENT /tmp/.s.PGSQL.5432"), { code: "ENOENT", syscall: "connect" })],
  ])("%s → unavailable", (err) => expect(isDatabaseUnavailable(err)).toBe(true));

  it.each([
    [Object.assign(new Error("duplicate key"), { code: "23505" })],
    [new Error("syntax error")],
    [
      Object.assign(new Error("ENOENT: no such file or directory, open 'key.pem'"), {
        code: "ENOENT",
        syscall: "open",
      }),
    ],
    [null],
    ["ECONNREFUSED"],
  ])("%s → a real error", (err) => expect(isDatabaseUnavailable(err)).toBe(false));
});
