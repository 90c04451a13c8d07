import { describe, expect, it } from 'vitest';
import { withHeartbeat } from './amqp-connection.js';

describe('withHeartbeat', () => {
  it('adds a 10 s heartbeat and keeps the rest of the URL intact', () => {
    expect(withHeartbeat('amqp://us%3Aer:p%40ss@rabbit:5672/team-vhost')).toBe('amqp://us%3Aer:p%40ss@rabbit:5672/team-vhost?heartbeat=10');
  });

  it("keeps the operator's own heartbeat", () => {
    expect(withHeartbeat('amqp://u:p@rabbit/%2F?heartbeat=30&frameMax=8192')).toBe('amqp://u:p@rabbit/%2F?heartbeat=30&frameMax=8192');
  });
});
