// The peer engine for `atlas-lsp bench peer`: node-llama-cpp (prebuilt llama.cpp from npm) behind a line-delimited
// JSON protocol on stdin/stdout, so the benchmark can time the same requests on both engines alternately.
//   {"op":"load","model":PATH,"threads":N,"contextSize":N,"kvCacheType":"Q8_0",
//    "draft":PATH|null,"draftMax":N,"draftMin":N,"draftPMin":P}                 -> {"ok":true,"infill":bool,"version":"...","systemInfo":"..."}
//   {"op":"complete","prefix":S,"suffix":S,"maxTokens":N,"fresh":bool}           -> {"ms":N,"text":S,"tokens":N,"validated":N,"refuted":N}
// With a draft, the target sequence predicts tokens through node-llama-cpp's own speculative decoding
// (DraftSequenceTokenPredictor on a second context of the draft model), as its `infill --draftModel` does.
import { getLlama, LlamaCompletion, DraftSequenceTokenPredictor } from "node-llama-cpp";
import { readFileSync } from "node:fs";
import readline from "node:readline";

const version = JSON.parse(readFileSync(new URL("./node_modules/node-llama-cpp/package.json", import.meta.url))).version;
const reply = (message) => process.stdout.write(JSON.stringify(message) + "\n");
let sequence;
let completion;

for await (const line of readline.createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const message = JSON.parse(line);
  try {
    if (message.op === "load") {
      // build "never": use the prebuilt binary as shipped, never download or compile llama.cpp.
      const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
      const contextOf = async (path) => {
        const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
        return model.createContext({
          contextSize: message.contextSize,
          threads: message.threads,
          flashAttention: true,
          experimentalKvCacheKeyType: message.kvCacheType,
          experimentalKvCacheValueType: message.kvCacheType,
        });
      };
      const context = await contextOf(message.model);
      const tokenPredictor = message.draft
        ? new DraftSequenceTokenPredictor((await contextOf(message.draft)).getSequence(), {
            maxTokens: message.draftMax,
            minTokens: message.draftMin,
            // 0 turns the confidence check off, as Atlas's draftPMin 0 does.
            minConfidence: message.draftPMin,
          })
        : undefined;
      sequence = context.getSequence({ tokenPredictor });
      completion = new LlamaCompletion({ contextSequence: sequence });
      reply({ ok: true, infill: completion.infillSupported, version, systemInfo: llama.systemInfo.trim() });
    } else if (message.op === "complete") {
      if (message.fresh) await sequence.clearHistory();
      // Greedy as Atlas is: node-llama-cpp applies a repeat penalty unless told not to.
      let tokens = 0;
      const options = { maxTokens: message.maxTokens, temperature: 0, repeatPenalty: false, onToken: (chunk) => { tokens += chunk.length; } };
      const before = sequence.tokenPredictions;
      const started = performance.now();
      const text = completion.infillSupported
        ? await completion.generateInfillCompletion(message.prefix, message.suffix, options)
        : await completion.generateCompletion(message.prefix, options);
      const ms = performance.now() - started;
      const after = sequence.tokenPredictions;
      reply({ ms, text, tokens, validated: after.validated - before.validated, refuted: after.refuted - before.refuted });
    } else {
      reply({ error: `unknown op ${message.op}` });
    }
  } catch (error) {
    reply({ error: String(error?.stack ?? error) });
  }
}
