export { startSandbox, type RunningSandbox, type SandboxOptions } from "./server";
export { RETRY_SCHEDULE_SECONDS } from "./notify/schedule";
export { MERCHANT_NAMES, type MerchantName } from "./crypto/keys";
export { SandboxControl, SandboxControlError } from "./control/client";
