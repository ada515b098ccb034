export * from "./errors";
export * from "./settings";
export { loadSettings } from "./load";
