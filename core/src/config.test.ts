import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactedValue } from './config.js';

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

  it('lists every problem at once, format and role alike', () => {
    const error = (() => {
      try {
        loadConfig({ PORT: 'eighty', S3_BUCKET_NAME: 'Bad_Bucket', IMGR_STORAGE: 'auto' }, 'worker');
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^invalid S3_BUCKET_NAME: /),
      expect.stringMatching(/^invalid PORT: .*got "eighty"/),
      expect.stringMatching(/^invalid CELERY_BROKER_URL: .*required by "imgr worker"/),
      expect.stringMatching(/^invalid S3_ENDPOINT_URL: /),
    ]);
    expect((error as ConfigError).message).toBe((error as ConfigError).problems.join('; '));
  });

  it('names a malformed variable once, not again for a rule of the role', () => {
    expect(() => loadConfig({ CELERY_BROKER_URL: 'amqp//u:p@h', IMGR_STORAGE: 'fs' }, 'api')).toThrow(
      /^invalid CELERY_BROKER_URL: expected a URL starting with amqp:\/\/ .*\(got "amqp\/\/\*\*\*@h"\)$/,
    );
  });

  it.each([
    ['CELERY_BROKER_URL', 'amqps//imgr:hunter2@rabbit:5671/prod'],
    ['CELERY_BROKER_URL', 'http://imgr:hunter2@rabbit:5672/'],
    ['S3_ENDPOINT_URL', 'http://imgr:hunter2@minio 9000'],
    ['AWS_SECRET_ACCESS_KEY', ''],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'http://otel:hunter2@collector 4318'],
  ])('never shows the secret in a malformed %s', (variable, value) => {
    expect(() => loadConfig({ AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 'hunter2', [variable]: value }, 'all')).toThrow(
      new RegExp(`invalid ${variable}`),
    );
    try {
      loadConfig({ AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 'hunter2', [variable]: value }, 'all');
    } catch (error) {
      expect(String(error)).not.toContain('hunter2');
    }
  });

  it('hides the value of every credential-like variable and the user:password of a URL', () => {
    expect(redactedValue('AWS_SECRET_ACCESS_KEY', 's3cr3t')).toBe('a hidden value');
    expect(redactedValue('AWS_ACCESS_KEY_ID', 'AKIA123')).toBe('a hidden value');
    expect(redactedValue('AWS_SESSION_TOKEN', 'tok')).toBe('a hidden value');
    expect(redactedValue('CELERY_BROKER_URL', 'amqp://user:pass@host:5672/v')).toBe('"amqp://***@host:5672/v"');
    expect(redactedValue('PORT', 'eighty')).toBe('"eighty"');
    expect(redactedValue('PORT', undefined)).toBe('unset');
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
