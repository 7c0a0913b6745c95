/**
 * The shopper's session: token in storage, login through the platform's login code, one login at
 * a time however many callers need it.
 */
export interface TokenStorage {
  get(key: string): string | null;
  set(key: string, value: string): void;
  remove(key: string): void;
}

export const TOKEN_KEY = "minipay.token";

export class Session {
  private inflight: Promise<void> | null = null;

  constructor(
    private readonly storage: TokenStorage,
    private readonly getCode: () => Promise<string>,
    private readonly exchange: (code: string) => Promise<{ token: string }>,
  ) {}

  token(): string | null {
    return this.storage.get(TOKEN_KEY);
  }

  /** Log in (again): a fresh code from the platform, exchanged for our token. */
  login(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        this.storage.remove(TOKEN_KEY);
        const code = await this.getCode();
        const { token } = await this.exchange(code);
        this.storage.set(TOKEN_KEY, token);
      } finally {
        this.inflight = null;
      }
    })();
    return this.inflight;
  }

  async ensure(): Promise<void> {
    if (!this.token()) await this.login();
  }
}

export const uniStorage: TokenStorage = {
  get: (k) => {
    const v = uni.getStorageSync(k);
    return typeof v === "string" && v ? v : null;
  },
  set: (k, v) => uni.setStorageSync(k, v),
  remove: (k) => uni.removeStorageSync(k),
};
