// "Is the network up?" — decided by one honest, cheap signal: the kernel has a usable default
// route (IPv4 in /proc/net/route or IPv6 in /proc/net/ipv6_route) on an interface other than
// loopback. No default route means no way to reach any portal: that is "offline", offline
// mode as intended. A default route says nothing about whether packets get through (captive
// portal, firewall, dead uplink): the portal probe decides that, and a failed probe with a
// default route is "portal-unreachable", the state `offline_max_sso_unreachable` bounds.
// Not used: NetworkManager's Connectivity property (not on every workstation, and it probes
// a third-party host of its own), or probing a non-portal host (one more host to trust).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const RTF_UP = 0x0001;
const RTF_REJECT = 0x0200;

/** IPv4: a line of /proc/net/route with Destination 00000000, Mask 00000000, flag UP. */
export function hasIpv4DefaultRoute(table: string): boolean {
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const [iface, destination, , flags, , , , mask] = fields;
    if (iface === 'lo' || destination !== '00000000' || mask !== '00000000') continue;
    const bits = parseInt(flags!, 16);
    if ((bits & RTF_UP) !== 0 && (bits & RTF_REJECT) === 0) return true;
  }
  return false;
}

/** IPv6: a line of /proc/net/ipv6_route for ::/0, flag UP and not REJECT, not on lo. */
export function hasIpv6DefaultRoute(table: string): boolean {
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const [destination, prefix, , , , , , , flags, iface] = fields;
    if (iface === 'lo' || prefix !== '00' || !/^0{32}$/.test(destination!)) continue;
    const bits = parseInt(flags!, 16);
    if ((bits & RTF_UP) !== 0 && (bits & RTF_REJECT) === 0) return true;
  }
  return false;
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** True when a default route exists (`procRoot`: /proc, or a test directory laid out alike). */
export function defaultRouteUp(procRoot = '/proc'): boolean {
  return (
    hasIpv4DefaultRoute(readOrEmpty(join(procRoot, 'net/route'))) ||
    hasIpv6DefaultRoute(readOrEmpty(join(procRoot, 'net/ipv6_route')))
  );
}
