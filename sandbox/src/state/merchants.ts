import type { KeyMaterial, MerchantMaterial } from "../crypto/keys";

/** Look-ups over the configured merchants. */
export class Merchants {
  constructor(readonly keys: KeyMaterial) {}
  get all(): MerchantMaterial[] {
    return this.keys.merchants;
  }
  byMchid(mchid: string | undefined): MerchantMaterial | undefined {
    return this.keys.merchants.find((m) => m.mchid === mchid);
  }
  byAppid(appid: string | undefined): MerchantMaterial | undefined {
    return this.keys.merchants.find((m) => m.appid === appid);
  }
  byName(name: string | undefined): MerchantMaterial | undefined {
    return this.keys.merchants.find((m) => m.name === name);
  }
}
