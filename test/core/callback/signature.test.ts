import { computeSignature, verifyUrl } from '../../../functions/core/callback';
import { ConfigurationError, SignatureError } from '../../../functions/core/errors';
import { OFFICIAL, thrown } from './fixtures';

describe('computeSignature and verifyUrl', () => {
  it('returns echostr for the official GET example', () => {
    // prepare
    const { signature, echostr, timestamp, nonce } = OFFICIAL.get;

    // act
    const answer = verifyUrl({ signature, echostr, timestamp, nonce }, OFFICIAL.token);

    // assess
    expect(answer).toBe('4375120948345356249');
    expect(computeSignature(OFFICIAL.token, timestamp, nonce)).toBe(signature);
  });

  it('computes both signatures of the official safe-mode POST', () => {
    // prepare
    const { query, body } = OFFICIAL.post;
    const encrypt = (JSON.parse(body) as { Encrypt: string }).Encrypt;

    // act
    const signature = computeSignature(OFFICIAL.token, query.timestamp, query.nonce);
    const msgSignature = computeSignature(OFFICIAL.token, query.timestamp, query.nonce, encrypt);

    // assess
    expect(signature).toBe(query.signature);
    expect(msgSignature).toBe(query.msg_signature);
  });

  it('accepts query values given as one-element arrays', () => {
    // prepare
    const { signature, echostr, timestamp, nonce } = OFFICIAL.get;

    // act
    const answer = verifyUrl({ signature: [signature], echostr: [echostr], timestamp, nonce }, OFFICIAL.token);

    // assess
    expect(answer).toBe(echostr);
  });

  it.each([
    ['a wrong signature', { signature: 'f464b24fc39322e44b38aa78f5edd27bd1441697' }],
    ['a signature of another length', { signature: 'f464b24f' }],
    ['another timestamp', { timestamp: '1714036505' }],
    ['another nonce', { nonce: '1514711493' }],
  ])('refuses %s with SignatureError', (_what, change) => {
    // prepare
    const query = { ...OFFICIAL.get, ...change };

    // act
    const error = thrown(() => verifyUrl(query, OFFICIAL.token));

    // assess
    expect(error).toBeInstanceOf(SignatureError);
    expect((error as SignatureError).status).toBe(401);
    expect(error.message).toMatch(/signature does not match/);
  });

  it.each(['signature', 'timestamp', 'nonce', 'echostr'])('names the missing query parameter %s', (field) => {
    // prepare
    const query: Record<string, string> = { ...OFFICIAL.get };
    delete query[field];

    // act
    const error = thrown(() => verifyUrl(query, OFFICIAL.token));

    // assess
    expect(error).toBeInstanceOf(SignatureError);
    expect(error.message).toBe(`query parameter ${field} is missing`);
  });

  it('refuses a parameter given twice, and no query at all', () => {
    // prepare
    const twice = { ...OFFICIAL.get, signature: [OFFICIAL.get.signature, OFFICIAL.get.signature] };

    // act
    const errors = [thrown(() => verifyUrl(twice, OFFICIAL.token)), thrown(() => verifyUrl(null, OFFICIAL.token))];

    // assess
    expect(errors[0]).toBeInstanceOf(SignatureError);
    expect(errors[0]!.message).toMatch(/signature is given more than once/);
    expect(errors[1]).toBeInstanceOf(SignatureError);
    expect(errors[1]!.message).toMatch(/signature is missing/);
  });

  it('says so when no token is configured', () => {
    // act
    const error = thrown(() => verifyUrl(OFFICIAL.get, ''));

    // assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/token is not configured/);
  });
});
