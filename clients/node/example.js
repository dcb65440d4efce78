#!/usr/bin/env node
// carebridge from Node.js (@grpc/grpc-js, the protos loaded at run time
// with @grpc/proto-loader): a crisis team finds a referral in its inbox
// and answers it, and the referring team reads where it stands and the
// person's plan. Bad input is refused naming the field.
//
//   node clients/node/example.js --server=127.0.0.1:50051 \
//     --sender_token=... --receiver_token=... --person=persons/... \
//     --to_team=teams/...
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_ROOT = path.join(__dirname, '..', '..', 'proto');

function flags() {
  const out = {};
  for (const arg of process.argv.slice(2)) {
    const match = /^--([a-z_]+)=(.*)$/.exec(arg);
    if (!match) throw new Error(`not a --flag=value: ${arg}`);
    out[match[1]] = match[2];
  }
  for (const name of ['server', 'sender_token', 'receiver_token', 'person', 'to_team']) {
    if (!out[name]) throw new Error(`--${name} is required`);
  }
  return out;
}

function load(file) {
  const definition = protoLoader.loadSync(path.join(PROTO_ROOT, file), {
    includeDirs: [PROTO_ROOT],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
  });
  return grpc.loadPackageDefinition(definition);
}

// A client of `Service` whose calls carry `token` and return promises;
// a refusal rejects with an Error whose .code is the gRPC status name.
function client(Service, address, token) {
  const stub = new Service(address, grpc.credentials.createInsecure());
  return new Proxy({}, {
    get(_, method) {
      return (request) => new Promise((resolve, reject) => {
        const metadata = new grpc.Metadata();
        metadata.set('authorization', `Bearer ${token}`);
        stub[method](request, metadata, {deadline: Date.now() + 10000},
                     (error, response) => {
          if (!error) return resolve(response);
          const refused = new Error(`${grpc.status[error.code]}: ${error.details}`);
          refused.code = grpc.status[error.code];
          reject(refused);
        });
      });
    },
  });
}

async function main() {
  const args = flags();
  const referralApi = load('carebridge/referral/v1/referral.proto').carebridge.referral.v1;
  const careplanApi = load('carebridge/careplan/v1/careplan.proto').carebridge.careplan.v1;
  const sam = client(referralApi.ReferralService, args.server, args.sender_token);
  const kim = client(referralApi.ReferralService, args.server, args.receiver_token);
  const samPlans = client(careplanApi.CarePlanService, args.server, args.sender_token);

  // Refused: no urgency. Nothing is stored.
  try {
    await sam.CreateReferral({referral: {person: args.person, receiving_team: args.to_team,
                                         reason: 'Needs support'}});
    throw new Error('a referral without urgency was accepted');
  } catch (error) {
    if (error.code !== 'INVALID_ARGUMENT') throw error;
    console.log(`refused as expected: ${error.message}`);
  }
  const referral = await sam.CreateReferral({
    referral: {person: args.person, receiving_team: args.to_team, urgency: 'CRISIS',
               reason: 'Not sleeping, hearing voices again', person_wishes: 'Call Jo first'},
    request_id: 'node-example-1',
  });
  console.log(`referred: ${referral.name} (${referral.state})`);

  const inbox = await kim.ListReferrals({mailbox: 'INBOX', person: args.person});
  const mine = inbox.referrals.find((r) => r.name === referral.name);
  if (!mine) throw new Error('the referral is not in the crisis team inbox');
  const acknowledged = await kim.AcknowledgeReferral({name: mine.name, etag: mine.etag});
  const accepted = await kim.AcceptReferral({name: acknowledged.name, etag: acknowledged.etag,
                                             note: 'Home treatment team visiting today'});
  console.log(`answered: ${accepted.name} is ${accepted.state}`);

  const seen = await sam.GetReferral({name: referral.name});
  console.log(`the referring team sees: ${seen.state}, ${seen.history.length} events`);
  const plan = await samPlans.GetCarePlan({name: `${args.person}/carePlan`});
  console.log(`plan version ${plan.version}, lead ${plan.lead_team}, ` +
              `crisis plan: what helps: ${plan.crisis_plan.what_helps}`);
}

main().catch((error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
