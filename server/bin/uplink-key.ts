// `npm run uplink:key`: makes a county server's uplink key pair (issue 25). The private key is
// written to MINSHENG_DATA_DIR/uplink-key.pem (readable by this user only) and never leaves
// this server; the public key is printed for the city's administrator to register.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateRelayKeyPair } from '../services/relay-keys';

const dataDir = process.env.MINSHENG_DATA_DIR ?? './data';
const file = path.join(dataDir, process.argv[2] ?? 'uplink-key.pem');
if (existsSync(file)) {
  console.error(`${file} exists: keep it, or to rotate give a new file name (npm run uplink:key -- uplink-key-2.pem), register the new key, then revoke the old one`);
  process.exit(2);
}
mkdirSync(dataDir, { recursive: true });
const { publicKey, privateKeyPem } = generateRelayKeyPair();
writeFileSync(file, privateKeyPem, { mode: 0o600 });
console.log(`Private key written to ${file} (keep it on this server only).`);
console.log(`Public key, for the city's administrator to register for this county (admin page, or POST /api/admin/relays):\n\n${publicKey}\n`);
