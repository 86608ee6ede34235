/** The project version; a unit test keeps it equal to package.json's. */
export const VERSION = "0.1.0";
/** The upstream QM release whose files, keys and CLI contracts this version implements. */
export const UPSTREAM_VERSION = "1.0";
