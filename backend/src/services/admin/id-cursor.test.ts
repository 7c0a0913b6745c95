import { decodeIdCursor, encodeIdCursor, pageOf } from "./id-cursor";

describe("id cursor", () => {
  it("round-trips the ids it issues", () => {
    for (const id of ["1", "42", "900719925474099"]) expect(decodeIdCursor(encodeIdCursor(id))).toBe(id);
  });
  it.each([
    "",
    "abc",
    Buffer.from("id:0").toString("base64url"),
    Buffer.from("id:1 OR 1=1").toString("base64url"),
  ])("refuses %p", (c) =>
    expect(() => decodeIdCursor(c)).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED" })),
  );
  it("gives a next cursor only when there is another row", () => {
    const rows = [{ id: "3" }, { id: "2" }, { id: "1" }];
    expect(pageOf(rows, 2)).toEqual({ page: rows.slice(0, 2), nextCursor: encodeIdCursor("2") });
    expect(pageOf(rows, 3).nextCursor).toBeNull();
  });
});
