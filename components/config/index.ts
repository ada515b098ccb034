export * from "./clouds";
export * from "./defaults";
export * from "./errors";
export { loadSettings } from "./load";
export { parseSettings } from "./parse";
export * from "./schema";
export * from "./types";
