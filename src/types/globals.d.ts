/** Injected by esbuild from package.json. */
declare const SWITCHYARD_VERSION: string;
