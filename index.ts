// kubeship: load config, get the cluster, deploy the environment, export the outputs.
import { kubeship } from "./components/program";

const outputs = kubeship();

export const cloud = outputs.cloud;
export const clusterName = outputs.clusterName;
export const kubeconfig = outputs.kubeconfig;
export const namespace = outputs.namespace;
export const appUrl = outputs.appUrl;
export const imageRef = outputs.imageRef;
export const postgresBackupUrl = outputs.postgresBackupUrl;
