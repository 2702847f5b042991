import forge from 'node-forge';

export interface Pem {
  readonly key: string;
  readonly cert: string;
}

const DAY = 86_400_000;

function keyPair() {
  return forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
}

function certificate(options: {
  subject: string;
  hostnames?: readonly string[];
  notBefore: Date;
  notAfter: Date;
  issuer?: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey };
  isCa?: boolean;
}) {
  const keys = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = String(Math.floor(Math.random() * 1e12));
  cert.validity.notBefore = options.notBefore;
  cert.validity.notAfter = options.notAfter;
  const subject = [{ name: 'commonName', value: options.subject }];
  cert.setSubject(subject);
  cert.setIssuer(options.issuer ? options.issuer.cert.subject.attributes : subject);
  const extensions: object[] = [{ name: 'basicConstraints', cA: Boolean(options.isCa) }];
  if (options.isCa) extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true });
  if (options.hostnames) {
    extensions.push({
      name: 'subjectAltName',
      altNames: options.hostnames.map((h) => (/^[\d.]+$/.test(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    });
  }
  cert.setExtensions(extensions);
  cert.sign(options.issuer?.key ?? keys.privateKey, forge.md.sha256.create());
  return { cert, key: keys.privateKey };
}

const pem = (c: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey }): Pem => ({
  cert: forge.pki.certificateToPem(c.cert),
  key: forge.pki.privateKeyToPem(c.key),
});

/**
 * Certificates for TLS tests, made in the test: a CA, and server certificates
 * it signs (valid, expired, for another host), plus a self-signed one.
 */
export function makeCertificates(now = Date.now()) {
  const ca = certificate({
    subject: 'lifeline test CA',
    isCa: true,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
  });
  const hosts = ['localhost', '127.0.0.1'];
  return {
    ca: forge.pki.certificateToPem(ca.cert),
    valid: pem(
      certificate({
        subject: 'localhost',
        hostnames: hosts,
        issuer: ca,
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + 30 * DAY),
      }),
    ),
    expired: pem(
      certificate({
        subject: 'localhost',
        hostnames: hosts,
        issuer: ca,
        notBefore: new Date(now - 30 * DAY),
        notAfter: new Date(now - DAY),
      }),
    ),
    otherHost: pem(
      certificate({
        subject: 'billing.internal',
        hostnames: ['billing.internal'],
        issuer: ca,
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + 30 * DAY),
      }),
    ),
    selfSigned: pem(
      certificate({
        subject: 'localhost',
        hostnames: hosts,
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + 30 * DAY),
      }),
    ),
  };
}

/**
 * A CA and one server certificate it signs for localhost and 127.0.0.1,
 * expiring at `notAfter` (X.509 keeps whole seconds: pass a whole second).
 * Two keys instead of makeCertificates' five, for tests that need one server.
 */
export function makeServerCertificate(notAfter: Date, now = Date.now()): Pem & { readonly ca: string } {
  const ca = certificate({
    subject: 'lifeline test CA',
    isCa: true,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
  });
  const server = certificate({
    subject: 'localhost',
    hostnames: ['localhost', '127.0.0.1'],
    issuer: ca,
    notBefore: new Date(now - DAY),
    notAfter,
  });
  return { ca: forge.pki.certificateToPem(ca.cert), ...pem(server) };
}
