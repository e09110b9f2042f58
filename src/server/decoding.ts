/** Decoding: the request body as JSON (an empty body is undefined), refused with 400 when it is not. */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './encoding.js';
import * as status from './status.js';

export async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(status.badRequest(`the body of the request could not be decoded as JSON: ${(error as Error).message}`));
  }
}

/** The media type of a request body, without parameters. */
export const mediaTypeOf = (request: IncomingMessage) => (request.headers['content-type'] ?? '').split(';')[0]!.trim();
