// multipart/form-data bodies built by hand, byte for byte, for the tests that send raw requests, the
// failover simulation's clients and the bench's load generator.

/**
 * @typedef {object} Part
 * @property {string} name
 * @property {string} [filename]
 * @property {string | null} [contentType] the part's Content-Type; `null` for none at all
 * @property {Buffer | string} body
 */

/** The boundary of every body built here unless told otherwise. */
export const BOUNDARY = 'imgr-hostile-boundary-7c1e';

/**
 * The head of one part (boundary line, headers, blank line): a file part gets a Content-Type unless
 * told otherwise, a text field none unless told.
 * @param {Omit<Part, 'body'>} part
 * @param {string} [boundary]
 * @returns {string}
 */
export function partHead(part, boundary = BOUNDARY) {
  const disposition = `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
  const contentType = part.contentType === undefined && part.filename !== undefined ? 'application/octet-stream' : part.contentType;
  const type = contentType ? `Content-Type: ${contentType}\r\n` : '';
  return `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`;
}

/**
 * A multipart/form-data body (terminated unless told otherwise).
 * @param {Part[]} parts
 * @param {{ boundary?: string, terminate?: boolean }} [options]
 * @returns {Buffer}
 */
export function multipart(parts, options = {}) {
  const boundary = options.boundary ?? BOUNDARY;
  const chunks = [];
  for (const part of parts) {
    chunks.push(Buffer.from(partHead(part, boundary), 'latin1'));
    chunks.push(Buffer.isBuffer(part.body) ? part.body : Buffer.from(part.body, 'latin1'));
    chunks.push(Buffer.from('\r\n'));
  }
  if (options.terminate !== false) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/**
 * An upload as the web page sends it: one `file` field. Built once, sent as often as wanted.
 * @param {Buffer} bytes
 * @param {string} filename
 * @param {string} [contentType]
 * @returns {{ body: Buffer, headers: { 'content-type': string, 'content-length': string } }}
 */
export function fileUpload(bytes, filename, contentType = 'image/jpeg') {
  const body = multipart([{ name: 'file', filename, contentType, body: bytes }]);
  return { body, headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(body.length) } };
}
