// Types of tools/build-fresh.mjs for the TypeScript tests that import it.
/** Whether build/ is what `npm run build` would make now; `root`: the checkout's URL, ending in "/". */
export function buildIsFresh(root: URL): boolean;
