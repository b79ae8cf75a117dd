// How long the offline run of the prod stack takes: the one-time module loads, then the mock run itself
// in update and preview mode (median of several runs), and how many resources it registers.
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { median, ms } from "./measure";

const runs = 7;

/** Times a synchronous require; a module already loaded by the caller shows as ~0 ms. */
function timedRequire<T>(id: string): { module: T; took: number } {
  const start = performance.now();
  const module = require(id) as T;
  return { module, took: performance.now() - start };
}

export async function benchStack(): Promise<void> {
  const pulumiLoad = timedRequire<typeof import("@pulumi/pulumi")>("@pulumi/pulumi");
  console.log(`stack: require("@pulumi/pulumi") (one-time): ${ms(pulumiLoad.took)}`);
  // The program, its components and the @pulumi/gcp submodules they import.
  const captureLoad = timedRequire<typeof import("../lib/capture")>(join(__dirname, "..", "lib", "capture"));
  console.log(`stack: require program, components, @pulumi/gcp submodules (one-time): ${ms(captureLoad.took)}`);
  const { readStackFile } = timedRequire<typeof import("../lib/stackfile")>(join(__dirname, "..", "lib", "stackfile")).module;
  const config = readStackFile(join(__dirname, "..", "Pulumi.prod.yaml")).raw;

  for (const preview of [false, true]) {
    const times: number[] = [];
    let count = 0;
    // The first run warms the SDK's lazy paths; it is reported apart from the median.
    for (let i = 0; i <= runs; i++) {
      const start = performance.now();
      const capture = await captureLoad.module.captureStack({ stack: "prod", config, preview });
      times.push(performance.now() - start);
      count = capture.resources.length;
    }
    const mode = preview ? "preview" : "update";
    console.log(`stack: prod mock run (${mode}): first ${ms(times[0])}, median of ${runs} ${ms(median(times.slice(1)))}`);
    console.log(`stack: prod resources registered (${mode}): ${count}`);
  }
}
