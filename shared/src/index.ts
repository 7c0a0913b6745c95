export * from "./errors";
export * from "./money";
export * from "./order-states";
export * from "./api";
export * from "./client";
export * from "./admin";
export * from "./merchant";
