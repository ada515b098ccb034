/**
 * Pulumi records `new Error().stack` (unbounded depth) for every resource and every promise, for source
 * positions and leak reports. Formatting those stacks (under ts-node, through source-map-support) was
 * most of a mock run's time. Tests and the render read neither, so a message-less plain Error (Pulumi's
 * marker) gets no frames; every real error keeps its full, source-mapped trace.
 */
type Prepare = (error: Error, frames: NodeJS.CallSite[]) => unknown;

const mapped: Prepare | undefined = Error.prepareStackTrace?.bind(Error);
const plain = (error: Error, frames: NodeJS.CallSite[]) =>
    [
        String(error),
        ...frames.map(
            f => `    at ${f.getFunctionName() ?? "<anonymous>"} (${f.getFileName() ?? "<anonymous>"}:${f.getLineNumber() ?? 0}:${f.getColumnNumber() ?? 0})`,
        ),
    ].join("\n");

Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) =>
    error.message === "" && Object.getPrototypeOf(error) === Error.prototype ? "Error" : (mapped ?? plain)(error, frames);
