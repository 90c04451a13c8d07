import { randomInt } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ID_LENGTH = 8;
const ID_PATTERN = /^[a-zA-Z0-9]{8}$/;

/** 8 characters from [a-zA-Z0-9], as the original: ~47.6 bits, drawn from a CSPRNG. */
export function newImageId(): string {
  let id = '';
  for (let i = 0; i < ID_LENGTH; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

/** The only gate between a URL and a storage key: nothing else ever reaches storage. */
export function isImageId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}
