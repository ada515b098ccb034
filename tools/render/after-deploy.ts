/** The mocks' stand-ins for what exists only after a real deployment, and the fake credentials they hand out. */

/** Values that exist only after a real deployment are shown as these placeholders. */
export const AFTER_DEPLOY = {
    loadBalancerAddress: "after-deploy.load-balancer.invalid",
    endpoint: "after-deploy.cluster-endpoint.invalid",
    /** base64 of "FAKE-CA". */
    caData: "RkFLRS1DQQ==",
    account: "123456789012",
};

/** Fake credentials the mocks hand out; none may appear outside a secret. */
export const FAKE_CREDENTIALS = {
    ecrPassword: "fake-ecr-password-1b2c",
    gcpAccessToken: "ya29.fake-gcp-access-token",
    docrPassword: "fake-docr-token-7f3a",
    spacesSecretKey: "fake-spaces-secret-9d4e",
    acrToken: "fake-acr-token-5e6f",
};
