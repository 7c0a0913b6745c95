/** uni.request as the API client's HTTP adapter. */
import type { HttpAdapter } from "@minipay/shared";

/** uni.request as a promise; network failures reject, HTTP errors resolve with their status. */
export const uniHttp: HttpAdapter = (req) =>
  new Promise((resolve, reject) => {
    uni.request({
      url: req.url,
      method: req.method,
      data: req.data as any,
      header: req.header,
      timeout: req.timeoutMs ?? 10_000,
      success: (res) => resolve({ statusCode: res.statusCode, data: res.data }),
      fail: (err) => reject(new Error(err.errMsg || "network error")),
    });
  });
