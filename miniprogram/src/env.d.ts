/// <reference types="vite/client" />
declare module "*.vue" {
  import type { DefineComponent } from "vue";
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
interface ImportMetaEnv {
  readonly VITE_API_BASE?: string;
  readonly VITE_API_BASE_DEVELOP?: string;
  readonly VITE_API_BASE_TRIAL?: string;
  readonly VITE_API_BASE_RELEASE?: string;
  readonly VITE_APPID?: string;
}
// WeChat's account info, reached through uni's pass-through to wx (not in @dcloudio/types).
interface Uni {
  getAccountInfoSync(): {
    miniProgram: { appId: string; envVersion?: "develop" | "trial" | "release"; version?: string };
  };
}
