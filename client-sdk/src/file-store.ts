// @fedrouter/client/file-store: the Node-only evaluation store (a JSON Lines file), kept out of the
// main entry so browser bundles never see node:fs.
export { FileStore } from "./store/file-store.ts";
