/** PaymentGateway over APIv2 (XML): one signed client shared by the three roles. */
import type { GatewayOptions } from "../common";
import { RoleGateway } from "../gateway-base";
import type { MerchantCredentials } from "../types";
import { V2Bills } from "./bills";
import { V2Client } from "./client";
import { V2NotifyCodec } from "./notify";
import { V2Refunds } from "./refunds";
import { V2Transactions } from "./transactions";

export class V2Gateway extends RoleGateway {
  readonly apiVersion = "v2" as const;

  constructor(creds: MerchantCredentials, opts: GatewayOptions) {
    const client = new V2Client(creds, opts);
    super(
      client,
      new V2Transactions(client),
      new V2Refunds(client),
      new V2NotifyCodec(client, creds.v2?.acceptMd5Notify ?? false),
      new V2Bills(client),
    );
  }
}
