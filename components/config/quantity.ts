/**
 * Kubernetes resource quantities ("250m", "1.5", "512Mi", "2G", "1e3"), parsed the way the API server
 * reads them (k8s.io/apimachinery/pkg/api/resource). Pure functions.
 */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const QUANTITY = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;

/** The numeric value of a quantity (cores for CPU, bytes for memory), or `undefined` if it is malformed. */
export function parseQuantity(text: string): number | undefined {
    const m = QUANTITY.exec(text);
    if (!m) return undefined;
    const number = Number(m[1]);
    const suffix = m[2] ?? "";
    if (suffix in BINARY) return number * BINARY[suffix];
    if (suffix in DECIMAL) return number * DECIMAL[suffix];
    return number * 10 ** Number(suffix.slice(1)); // decimal exponent, "1e3"
}
