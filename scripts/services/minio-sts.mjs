// Temporary credentials from MinIO's STS (AssumeRole signed with the STS user's keys), printed as the tests' env.
// An hour: the integration step runs well within it once they are minted, its last action before the tests.
import aws4 from 'aws4';

const port = process.argv[2];
const body = 'Action=AssumeRole&Version=2011-06-15&DurationSeconds=3600';
const signed = aws4.sign(
  {
    host: `127.0.0.1:${port}`,
    path: '/',
    method: 'POST',
    service: 'sts',
    region: 'us-east-1',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  },
  { accessKeyId: 'stsuser', secretAccessKey: 'stsusersecret' },
);
const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: signed.headers, body });
const text = await res.text();
const pick = (tag) => text.match(new RegExp(`<${tag}>([^<]+)</${tag}>`))?.[1];
console.log(
  `export IMGR_TEST_MINIO_STS_ACCESS_KEY=${pick('AccessKeyId')} IMGR_TEST_MINIO_STS_SECRET_KEY=${pick('SecretAccessKey')} IMGR_TEST_MINIO_STS_SESSION_TOKEN=${pick('SessionToken')}`,
);
