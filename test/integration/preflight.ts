/**
 * Loaded before the integration suite (mocha --require): when a server binary it needs is missing, the
 * run stops at once with one line naming the Debian packages to install, instead of spawn errors and
 * timeouts.
 */
import { missingServers } from "../support/servers";

const missing = missingServers();
if (missing.length > 0) {
    console.error(
        `The integration tests run real servers, and ${missing.map(m => m.binary).join(" and ")} ${missing.length > 1 ? "are" : "is"} not installed: apt-get install ${missing.map(m => m.debianPackage).join(" ")}`,
    );
    process.exit(1);
}
