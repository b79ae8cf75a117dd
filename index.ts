// The NBA props pipeline on Google Cloud, deployed in phases. The topology is data in pipeline.ts, the
// program that deploys a topology is program.ts, and the commits come from the stack config.
//
// The module exports the program as a function: the Pulumi Node runtime calls it and makes its result the
// stack outputs, and lib/capture.ts can run it offline as often as it needs.
import { pipeline } from "./pipeline";
import { pipelineProgram } from "./program";

export = pipelineProgram(pipeline);
