import { apiBaseFor, asEnvVersion } from "./config";

describe("build-time config", () => {
  it("picks the base for the running envVersion, falling back to VITE_API_BASE", () => {
    const env = {
      VITE_API_BASE: "https://api.example.com/",
      VITE_API_BASE_DEVELOP: "http://192.168.1.5:3000",
      VITE_API_BASE_TRIAL: "https://staging.example.com",
    };
    expect(apiBaseFor(env, "develop")).toBe("http://192.168.1.5:3000");
    expect(apiBaseFor(env, "trial")).toBe("https://staging.example.com");
    expect(apiBaseFor(env, "release")).toBe("https://api.example.com");
    expect(apiBaseFor({}, "develop")).toBe("http://127.0.0.1:3000");
  });

  it("refuses http (or nothing) for trial and release", () => {
    expect(() => apiBaseFor({ VITE_API_BASE: "http://api.example.com" }, "release")).toThrow(/https/);
    expect(() => apiBaseFor({ VITE_API_BASE_TRIAL: "http://x" }, "trial")).toThrow(/https/);
    expect(() => apiBaseFor({}, "release")).toThrow(/VITE_API_BASE_RELEASE/);
  });

  it("reads envVersion defensively", () => {
    expect(asEnvVersion("release")).toBe("release");
    expect(asEnvVersion(undefined)).toBe("develop");
  });
});
