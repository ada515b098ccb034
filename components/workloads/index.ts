export { App, connectionUrl } from "./app";
export { Environment } from "./environment";
export { Namespace } from "./namespace";
export { NetworkPolicies } from "./network-policies";
export { Postgres } from "./postgres";
export { Redis } from "./redis";
