/** The real WeChat adapters, counting orderquery calls per out_trade_no (across every instance that shares the map). */
import { wechatAdapters } from "../../src/boot";
import type { AdapterFactory } from "../../src/merchants/registry";

export function countingAdapters(counts: Map<string, number>): AdapterFactory {
  const real = wechatAdapters(3000);
  return {
    auth: real.auth,
    gateway: (s) => {
      const gw = real.gateway(s);
      return new Proxy(gw, {
        get(target, p, recv) {
          if (p === "queryOrder")
            return (no: string) => {
              counts.set(no, (counts.get(no) ?? 0) + 1);
              return target.queryOrder(no);
            };
          return Reflect.get(target, p, recv);
        },
      });
    },
  };
}
