/** PaymentGateway over APIv3 (JSON + RSA): one signed client shared by the three roles. */
import type { GatewayOptions } from "../common";
import { RoleGateway } from "../gateway-base";
import type { MerchantCredentials } from "../types";
import { V3Bills } from "./bills";
import { V3Client } from "./client";
import { V3NotifyCodec } from "./notify";
import { V3Refunds } from "./refunds";
import { V3Transactions } from "./transactions";

export class V3Gateway extends RoleGateway {
  readonly apiVersion = "v3" as const;

  constructor(creds: MerchantCredentials, opts: GatewayOptions) {
    const client = new V3Client(creds, opts);
    super(
      client,
      new V3Transactions(client),
      new V3Refunds(client),
      new V3NotifyCodec(client),
      new V3Bills(client),
    );
  }
}
