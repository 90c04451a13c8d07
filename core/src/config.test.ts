import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies the original defaults and picks local storage and the in-process queue for "all"', () => {
    const config = loadConfig({}, 'all');
    expect(config.env.AWS_REGION_NAME).toBe('us-east-1');
    expect(config.env.S3_BUCKET_NAME).toBe('images');
    expect(config.env.PORT).toBe(8080);
    expect(config.storage.kind).toBe('fs');
    expect(config.brokerUrl).toBe('memory://');
  });

  it('selects S3 when an endpoint is given', () => {
    const config = loadConfig(
      {
        S3_ENDPOINT_URL: 'http://minio:9000',
        AWS_ACCESS_KEY_ID: 'k',
        AWS_SECRET_ACCESS_KEY: 's',
        CELERY_BROKER_URL: 'amqp://u:p@h:5672/v',
      },
      'api',
    );
    expect(config.storage).toMatchObject({
      kind: 's3',
      endpoint: 'http://minio:9000',
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    });
  });

  it.each([
    [{ PORT: 'eighty' }, 'all', /invalid PORT: .*got "eighty"/],
    [{ PORT: '70000' }, 'all', /invalid PORT/],
    [{ S3_BUCKET_NAME: 'Bad_Bucket' }, 'all', /invalid S3_BUCKET_NAME/],
    [{ AWS_ACCESS_KEY_ID: 'only-the-key' }, 'all', /invalid AWS_SECRET_ACCESS_KEY/],
    [{ CELERY_BROKER_URL: 'redis://localhost:6379/0' }, 'all', /redis:\/\/ brokers are not supported/],
    [{ CELERY_BROKER_URL: 'http://x' }, 'all', /invalid CELERY_BROKER_URL/],
    [{ S3_ENDPOINT_URL: 'http://s3:9000' }, 'worker', /invalid CELERY_BROKER_URL: .*required by "imgr worker"/],
    [{ CELERY_BROKER_URL: 'memory://' }, 'api', /memory:\/\/ only works/],
    [{ CELERY_BROKER_URL: 'amqp://h' }, 'api', /invalid S3_ENDPOINT_URL/],
    [{ IMGR_TRUSTED_PROXIES: '10.0.0.1,haproxy' }, 'all', /invalid IMGR_TRUSTED_PROXIES: expected a comma-separated list/],
    [{ IMGR_TRUSTED_PROXIES: '10.0.0.0/33' }, 'all', /invalid IMGR_TRUSTED_PROXIES/],
  ] as const)('refuses %j for %s with one line naming the variable', (env, role, message) => {
    expect(() => loadConfig(env, role)).toThrow(ConfigError);
    expect(() => loadConfig(env, role)).toThrow(message);
  });

  it('reads the trusted proxies as a list of addresses and ranges, none by default', () => {
    expect(loadConfig({}, 'all').env.IMGR_TRUSTED_PROXIES).toEqual([]);
    expect(loadConfig({ IMGR_TRUSTED_PROXIES: ' 172.16.0.0/16, 127.0.0.1 ,::1' }, 'all').env.IMGR_TRUSTED_PROXIES).toEqual([
      '172.16.0.0/16',
      '127.0.0.1',
      '::1',
    ]);
  });

  it('reads the copies to make and the expiry bounds, refusing a default above the maximum', () => {
    const defaults = loadConfig({}, 'all').env;
    expect(defaults.IMGR_MODERN_FORMATS).toEqual(['webp', 'avif']);
    expect([defaults.IMGR_DEFAULT_EXPIRES_IN_S, defaults.IMGR_MAX_EXPIRES_IN_S]).toEqual([0, 15_552_000]);
    expect(loadConfig({ IMGR_MODERN_FORMATS: 'none' }, 'all').env.IMGR_MODERN_FORMATS).toEqual([]);
    expect(loadConfig({ IMGR_MODERN_FORMATS: ' WebP ' }, 'all').env.IMGR_MODERN_FORMATS).toEqual(['webp']);
    expect(() => loadConfig({ IMGR_MODERN_FORMATS: 'webp,jxl' }, 'all')).toThrow(/IMGR_MODERN_FORMATS/);
    expect(() => loadConfig({ IMGR_DEFAULT_EXPIRES_IN_S: '60' }, 'all')).toThrow(/IMGR_DEFAULT_EXPIRES_IN_S/);
    expect(() => loadConfig({ IMGR_DEFAULT_EXPIRES_IN_S: '86400', IMGR_MAX_EXPIRES_IN_S: '3600' }, 'all')).toThrow(
      /invalid IMGR_DEFAULT_EXPIRES_IN_S: expected at most IMGR_MAX_EXPIRES_IN_S/,
    );
  });

  it('returns a frozen configuration', () => {
    const config = loadConfig({}, 'all');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.env)).toBe(true);
  });
});
