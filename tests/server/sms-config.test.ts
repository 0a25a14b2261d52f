import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config';

// Replies by SMS: off unless MINSHENG_SMPP_URL is set; with it, every setting the bind and
// the messages need, checked at start with a message that names the variable.

const ON = {
  MINSHENG_SMPP_URL: 'smpp://smsc.example.cn:7890',
  MINSHENG_SMPP_SYSTEM_ID: 'lanling12345',
  MINSHENG_SMPP_PASSWORD: 'pw123456',
  MINSHENG_SMPP_SOURCE_ADDR: '106901234',
  MINSHENG_PUBLIC_URL: 'https://ms.lanling.gov.cn/',
};

describe('the SMS channel (MINSHENG_SMPP_*)', () => {
  it('is off by default, and the server connects nowhere', () => {
    expect(loadConfig({}).sms).toBeNull();
    expect(loadConfig({ MINSHENG_SMPP_URL: '' }).sms).toBeNull();
  });

  it('reads the SMSC, the account, the service number and the limits, with defaults', () => {
    expect(loadConfig(ON).sms).toEqual({
      host: 'smsc.example.cn', port: 7890, tls: false, systemId: 'lanling12345', password: 'pw123456', systemType: '', sourceAddr: '106901234',
      publicUrl: 'https://ms.lanling.gov.cn', signature: '【民声】', ratePerSecond: 10, perNumberPerHour: 6, inboundPerNumberPerDay: 10,
      enquireLinkMs: 30_000, retryMs: 2_000, maxAttempts: 20,
    });
    expect(loadConfig({ ...ON, MINSHENG_SMPP_URL: 'ssmpp://smsc.example.cn' }).sms).toMatchObject({ tls: true, port: 3550 });
    expect(loadConfig({ ...ON, MINSHENG_SMPP_URL: 'smpp://10.0.0.5' }).sms).toMatchObject({ port: 2775 });
    expect(loadConfig({ ...ON, MINSHENG_SMPP_RATE: '50', MINSHENG_SMPP_SIGNATURE: '【兰陵12345】' }).sms).toMatchObject({ ratePerSecond: 50, signature: '【兰陵12345】' });
  });

  it('refuses anything malformed or missing, naming the variable', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ MINSHENG_SMPP_URL: 'http://smsc' }, /MINSHENG_SMPP_URL must start with smpp:\/\//],
      [{ MINSHENG_SMPP_URL: 'not a url' }, /MINSHENG_SMPP_URL must be smpp:\/\/host:port/],
      [{ MINSHENG_SMPP_URL: 'smpp://user:pw@smsc:2775' }, /must not carry credentials/],
      [{ MINSHENG_SMPP_SYSTEM_ID: '' }, /MINSHENG_SMPP_SYSTEM_ID is required/],
      [{ MINSHENG_SMPP_SYSTEM_ID: 'a'.repeat(16) }, /MINSHENG_SMPP_SYSTEM_ID is required with MINSHENG_SMPP_URL: 1–15/],
      [{ MINSHENG_SMPP_PASSWORD: 'ninechars' }, /MINSHENG_SMPP_PASSWORD .*1–8/],
      [{ MINSHENG_SMPP_SOURCE_ADDR: '10690-1234' }, /MINSHENG_SMPP_SOURCE_ADDR .*3–20 digits/],
      [{ MINSHENG_PUBLIC_URL: '' }, /MINSHENG_PUBLIC_URL is required with MINSHENG_SMPP_URL/],
      [{ MINSHENG_PUBLIC_URL: 'ms.lanling.gov.cn' }, /MINSHENG_PUBLIC_URL is required/],
      [{ MINSHENG_SMPP_RATE: '0' }, /MINSHENG_SMPP_RATE must be a whole number from 1 to 1000/],
      [{ MINSHENG_SMPP_PER_NUMBER_HOUR: '2.5' }, /MINSHENG_SMPP_PER_NUMBER_HOUR must be a whole number/],
      [{ MINSHENG_SMPP_ENQUIRE_MS: '10' }, /MINSHENG_SMPP_ENQUIRE_MS must be a whole number from 100/],
      [{ MINSHENG_SMPP_SIGNATURE: '【一个非常非常非常长的签名】' }, /MINSHENG_SMPP_SIGNATURE must be at most 12/],
    ];
    for (const [over, message] of cases) {
      expect(() => loadConfig({ ...ON, ...over }), JSON.stringify(over)).toThrow(ConfigError);
      expect(() => loadConfig({ ...ON, ...over }), JSON.stringify(over)).toThrow(message);
    }
  });

  it('refuses an account without the SMSC, rather than silently leaving SMS off', () => {
    expect(() => loadConfig({ MINSHENG_SMPP_SYSTEM_ID: 'lanling' })).toThrow(/MINSHENG_SMPP_SYSTEM_ID is set without MINSHENG_SMPP_URL/);
  });
});
