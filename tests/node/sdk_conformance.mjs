/*
 * Drive the SFMC simulator through the published sfmc-sdk package, as a team's tooling would
 * (the URLs and payloads are the ones mcdev sends), and print one JSON report on stdout:
 * {"sdkVersion": ..., "steps": [{"name", "ok", "value" | "error"}]}. The Python test
 * (tests/test_sfmc_sdk_conformance.py) asserts each step; this script only records what it saw.
 *
 * Usage: node --require resolve_sfmc_hosts.cjs sdk_conformance.mjs PLAN.json
 * PLAN: {sdkPrefix, auth, pageSize, existingKey, newJourney, renamedTo, pollMs, maxPolls}.
 * Steps run in order; the first that fails unexpectedly ends the run (later steps need its result).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const API = '/interaction/v1/interactions';
const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const sdkRequire = createRequire(join(plan.sdkPrefix, 'package.json'));
const { default: SDK } = await import(pathToFileURL(sdkRequire.resolve('sfmc-sdk')).href);
// Read directly: the package's "exports" map does not export its package.json.
const manifest = join(plan.sdkPrefix, 'node_modules', 'sfmc-sdk', 'package.json');
const sdkVersion = JSON.parse(readFileSync(manifest, 'utf8')).version;

const sdk = new SDK(plan.auth, { requestAttempts: 1 });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const found = {}; // what later steps need from earlier ones

/** What an SDK error carries: its message and code, and the HTTP status it came with. */
function describe(error) {
    return {
        name: error.name,
        message: error.message,
        code: error.code,
        status: error.response?.status,
    };
}

/** Run `action`, which must fail: its error is the step's value ({refused: false} if it did not). */
async function refused(action) {
    try {
        const answer = await action();
        return { refused: false, answer };
    } catch (error) {
        return { refused: true, ...describe(error) };
    }
}

const steps = [
    async function authenticate() {
        const session = await sdk.auth.getAccessToken();
        return {
            hasToken: Boolean(session.access_token),
            tokenType: session.token_type,
            restInstanceUrl: session.rest_instance_url,
            soapInstanceUrl: session.soap_instance_url,
        };
    },
    async function pageThroughJourneys() {
        const all = await sdk.rest.getBulk(API, plan.pageSize);
        return { count: all.count, keys: all.items.map((item) => item.key) };
    },
    async function getByKey() {
        const journey = await sdk.rest.get(`${API}/key:${plan.existingKey}?extras=activities`);
        found.existingId = journey.id;
        return { id: journey.id, key: journey.key, activities: journey.activities?.length };
    },
    async function getById() {
        const journey = await sdk.rest.get(`${API}/${found.existingId}`);
        return { id: journey.id, key: journey.key };
    },
    async function create() {
        const journey = await sdk.rest.post(API, plan.newJourney);
        found.created = journey;
        return pick(journey);
    },
    async function updateWithCurrentModifiedDate() {
        const body = { ...found.created, name: plan.renamedTo };
        const journey = await sdk.rest.put(`${API}/key:${found.created.key}`, body);
        return pick(journey);
    },
    async function updateWithStaleModifiedDate() {
        const body = { ...found.created, name: `${plan.renamedTo} (stale)` };
        return refused(() => sdk.rest.put(`${API}/key:${found.created.key}`, body));
    },
    async function publish() {
        const { id, version } = found.created;
        const answer = await sdk.rest.post(`${API}/publishAsync/${id}?versionNumber=${version}`, {});
        found.statusId = answer.statusId;
        return answer;
    },
    async function pollPublishStatus() {
        const seen = [];
        for (let poll = 0; poll < plan.maxPolls; poll++) {
            const answer = await sdk.rest.get(`${API}/publishStatus/${found.statusId}`);
            seen.push(answer.status);
            if (answer.status !== 'PublishInProcess') {
                return { seen, final: answer };
            }
            await sleep(plan.pollMs);
        }
        return { seen, final: null };
    },
    async function getPublished() {
        return pick(await sdk.rest.get(`${API}/${found.created.id}`));
    },
    async function stop() {
        const { id, version } = found.created;
        const answer = await sdk.rest.post(`${API}/stop/${id}?versionNumber=${version}`, {});
        return { answer };
    },
    async function getStopped() {
        return pick(await sdk.rest.get(`${API}/${found.created.id}`));
    },
    async function remove() {
        return { answer: await sdk.rest.delete(`${API}/${found.created.id}`) };
    },
    async function getDeleted() {
        return refused(() => sdk.rest.get(`${API}/${found.created.id}`));
    },
    async function soapRetrieveDataExtensions() {
        const answer = await sdk.soap.retrieveBulk('DataExtension', ['CustomerKey', 'Name']);
        // retrieveBulk keeps the first page's envelope and appends the later pages' Results.
        return { firstPageStatus: answer.OverallStatus, results: answer.Results };
    },
    async function soapRetrieveFilteredFields() {
        const filter = {
            leftOperand: 'DataExtension.CustomerKey',
            operator: 'equals',
            rightOperand: plan.dataExtensionKey,
        };
        const answer = await sdk.soap.retrieveBulk('DataExtensionField', ['Name', 'FieldType'], {
            filter,
        });
        return { firstPageStatus: answer.OverallStatus, results: answer.Results };
    },
];

function pick(journey) {
    const { id, key, name, version, status, modifiedDate } = journey;
    return { id, key, name, version, status, modifiedDate };
}

const report = { sdkVersion, steps: [] };
for (const step of steps) {
    try {
        report.steps.push({ name: step.name, ok: true, value: await step() });
    } catch (error) {
        report.steps.push({ name: step.name, ok: false, error: describe(error) });
        break;
    }
}
process.stdout.write(JSON.stringify(report) + '\n');
