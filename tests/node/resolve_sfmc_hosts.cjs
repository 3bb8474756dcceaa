'use strict';
/*
 * Preloaded with `node --require`: inside this Node process only, every SFMC host name
 * (*.marketingcloudapis.com) resolves to 127.0.0.1 and its HTTPS port 443 becomes the
 * simulator's port (SFMC_SIMULATOR_PORT). /etc/hosts is never touched, and clients keep using the
 * real-looking URLs they insist on (sfmc-sdk refuses an auth_url that is not
 * https://<28 characters>.auth.marketingcloudapis.com/, so a port cannot go in the URL).
 *
 * The TLS server name stays the SFMC host, so the simulator's certificate (which names
 * *.auth|rest|soap.marketingcloudapis.com) is checked as usual; trust it with NODE_EXTRA_CA_CERTS.
 */
const dns = require('node:dns');
const tls = require('node:tls');

const SFMC_HOST = /(^|\.)marketingcloudapis\.com\.?$/i;
const port = Number.parseInt(process.env.SFMC_SIMULATOR_PORT || '', 10);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
    // Without a port, a request would go to the real SFMC: refuse to start instead.
    throw new Error('resolve_sfmc_hosts.cjs needs SFMC_SIMULATOR_PORT (the simulator port)');
}

const realLookup = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
    if (typeof options === 'function') {
        [options, callback] = [{}, options];
    }
    if (!SFMC_HOST.test(String(hostname))) {
        return realLookup.call(this, hostname, options, callback);
    }
    const all = typeof options === 'object' && options !== null && options.all;
    process.nextTick(() =>
        all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4)
    );
    return {};
};

// https.Agent connects through tls.connect(options); an SFMC host's default port becomes the
// simulator's (its name, which the certificate check uses, is left as it is).
const realConnect = tls.connect;
tls.connect = function connect(...args) {
    const options = args[0];
    if (args.length === 1 && typeof options === 'object' && options !== null) {
        const host = options.servername || options.host || '';
        if (SFMC_HOST.test(host) && Number(options.port || 443) === 443) {
            args[0] = { ...options, port };
        }
    }
    return realConnect.apply(this, args);
};
