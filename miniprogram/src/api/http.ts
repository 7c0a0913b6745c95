/** The one seam to the network, so the API client is testable without uni. */
export interface HttpRequest {
  method: "GET" | "POST";
  url: string;
  data?: unknown;
  header?: Record<string, string>;
  timeoutMs?: number;
}

export interface HttpResponse {
  statusCode: number;
  data: unknown;
}

export type HttpAdapter = (req: HttpRequest) => Promise<HttpResponse>;

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
