/** WeChat's notify retry intervals in seconds (docs/wechatpay-spec.md §2.8, same for v3): 15 retries, 24 h 4 min in all. */
export const RETRY_SCHEDULE_SECONDS = [
  15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
];
