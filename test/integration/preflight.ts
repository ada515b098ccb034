/**
 * Loaded before the integration suite (mocha --require): when a server binary it needs is missing, the
 * run stops at once with one line naming the Debian packages to install, instead of spawn errors and
 * timeouts.
 */
import { missingServers } from "../support/servers";

const missing = missingServers();
if (missing.length > 0) {
    console.error(`The integration tests run real servers, and these are missing: ${missing.map(m => `${m.binary} (${m.install})`).join("; ")}`);
    process.exit(1);
}
