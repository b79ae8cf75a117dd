// The policy pack's figures: start-up (spawn to ready, as the engine starts it) and AnalyzeStack over
// generated stacks of 1,000 and 10,000 resources, a tenth of them calls, after `up` (values known) and
// in preview (outputs unknown). Goal: under 2 s at 10,000 and growth no worse than linear.
//
// An AnalyzeStack round trip here includes encoding the request with google-protobuf in JavaScript,
// which the real engine does in Go; that encoding is timed on its own and the pack's time is the rest
// (transfer, the SDK decoding the request once per stack policy, the policies, the answer).
import { startPolicyPack, stackRequest } from "../lib/analyzer";
import type { EngineResource } from "../lib/resources";
import * as g from "../test/fixtures/gcp";
import { median, ms, timeRuns } from "./measure";

const runs = 5;

/**
 * `resources` resources in units of ten: a function calling a service through an env var with its
 * grant (the call), both accounts, and five bystanders a real stack has (topic, its publisher grant,
 * bucket, secret, a project role). Every unit's call is granted, so the pack does all its matching.
 */
export function generatedStack(mode: g.Mode, resources: number): EngineResource[] {
  const f = new g.Fixture(mode);
  for (let i = 0; i < resources / 10; i++) {
    const callee = g.service(f, `svc-${i}`, { account: g.account(f, `svc-${i}-runtime`) });
    const caller = g.account(f, `fn-${i}-runtime`);
    g.fn(f, `fn-${i}`, { account: caller, env: { CALLEE_URL: callee.url } });
    g.grant(f, "cloudrunv2.ServiceIamMember", `fn-${i}-invokes-svc-${i}`, callee, caller.member);
    const topic = f.add("gcp:pubsub/topic:Topic", `topic-${i}`, { name: `topic-${i}` });
    f.add("gcp:pubsub/topicIAMMember:TopicIAMMember", `topic-${i}-publisher`, { topic: f.output(topic, `topic-${i}`), role: "roles/pubsub.publisher", member: caller.member });
    f.add("gcp:storage/bucket:Bucket", `bucket-${i}`, { name: `bucket-${i}`, location: "US-WEST2" });
    f.add("gcp:secretmanager/secret:Secret", `secret-${i}`, { secretId: `secret-${i}`, replication: { auto: {} } });
    f.add("gcp:projects/iAMMember:IAMMember", `fn-${i}-logs`, { project: g.project, role: "roles/logging.logWriter", member: caller.member });
  }
  return f.resources;
}

export async function benchPolicies(): Promise<void> {
  const options = { project: "nba-pipeline", stack: "bench", dryRun: true } as const;
  // One untimed start, so ts-node's compile cache is as every later start finds it.
  await (await startPolicyPack(options)).close();
  const startup = median(await timeRuns(runs, async () => (await startPolicyPack(options)).close()));
  console.log(`policies: pack start-up, spawn to ready (handshake, info, configure): ${ms(startup)} (median of ${runs})`);

  const pack = await startPolicyPack(options);
  try {
    for (const mode of g.modes) {
      const times = new Map<number, number>();
      for (const size of [1_000, 10_000]) {
        const stack = generatedStack(mode, size);
        const gaps = (await pack.analyzeStack(stack)).filter((v) => v.enforcementLevel === "mandatory");
        if (gaps.length > 0) throw new Error(`bench stack of ${size} (${mode}) is not clean: ${gaps[0].message}`);
        const roundTrip = median(await timeRuns(runs, () => pack.analyzeStack(stack)));
        const encoding = median(await timeRuns(runs, () => stackRequest(stack).serializeBinary()));
        times.set(size, roundTrip - encoding);
        console.log(
          `policies: AnalyzeStack, ${size.toLocaleString("en-US")} resources (${size / 10} calls), ${mode}: pack ${ms(roundTrip - encoding)}; ` +
            `round trip ${ms(roundTrip)} of which this harness's JS encoding ${ms(encoding)} (medians of ${runs})`,
        );
      }
      const ratio = (times.get(10_000) ?? 0) / (times.get(1_000) ?? 1);
      console.log(`policies: ${mode}: 10x the resources took ${ratio.toFixed(1)}x the time (linear: 10x; goal: under 2 s at 10,000)`);
    }
  } finally {
    await pack.close();
  }
}

if (require.main === module) {
  benchPolicies().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
