/** A minimal Kubernetes API client over HTTPS with a client certificate: enough for the cluster command and the e2e suite. */
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";

export interface Reply<T> {
    status: number;
    body: T;
}

export class KubeApi {
    private readonly agent: https.Agent;

    constructor(
        readonly server: string,
        pkiDir: string,
        client = "admin",
    ) {
        this.agent = new https.Agent({
            ca: fs.readFileSync(path.join(pkiDir, "ca.crt")),
            cert: fs.readFileSync(path.join(pkiDir, `${client}.crt`)),
            key: fs.readFileSync(path.join(pkiDir, `${client}.key`)),
            keepAlive: true,
        });
    }

    /** One request; JSON in and out (text when the answer is not JSON). Never throws for an HTTP status. */
    request<T = unknown>(method: string, apiPath: string, body?: unknown, contentType = "application/json"): Promise<Reply<T>> {
        const payload = body === undefined ? undefined : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
        return new Promise((resolve, reject) => {
            const req = https.request(
                new URL(apiPath, this.server),
                {
                    method,
                    agent: this.agent,
                    headers: payload === undefined ? {} : { "content-type": contentType, "content-length": payload.length },
                    timeout: 15_000,
                },
                res => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () => {
                        const text = Buffer.concat(chunks).toString("utf8");
                        let parsed: unknown = text;
                        try {
                            parsed = JSON.parse(text);
                        } catch {
                            // not JSON: keep the text (readyz answers "ok")
                        }
                        resolve({ status: res.statusCode ?? 0, body: parsed as T });
                    });
                },
            );
            req.once("timeout", () => req.destroy(new Error(`${method} ${apiPath}: no answer in 15 s`)));
            req.once("error", reject);
            req.end(payload);
        });
    }

    get<T = unknown>(apiPath: string): Promise<Reply<T>> {
        return this.request<T>("GET", apiPath);
    }

    /** Creates an object; an existing one (409) counts as done. */
    async create(apiPath: string, object: unknown, contentType?: string): Promise<void> {
        const r = await this.request("POST", apiPath, object, contentType);
        if (r.status !== 201 && r.status !== 200 && r.status !== 409) throw new Error(`POST ${apiPath}: ${r.status} ${JSON.stringify(r.body)}`);
    }

    close(): void {
        this.agent.destroy();
    }
}
