/** Writes NAME.br and NAME.gz next to every text file under dir (see precompress.mjs); resolves to how many were written. */
export function precompress(dir: string): Promise<number>;
