/**
 * verify_model.py, ported: score trained weights on FER2013's three splits and print
 * accuracy and macro precision, recall and F1, as the seed's README table.
 *
 *   npx ts-node examples/verify_model.ts --model_weights resnet50_weights.h5 [--image_size 200] [--data fer2013/fer2013.csv] [--limit N]
 *
 * The same as `npx facial verify`, written with the library API only, as a starting point
 * for your own evaluation scripts.
 */
import { parseArgs } from 'node:util';
import { formatSeedTable, selectBackend, verifyModel } from '../src';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model_weights: { type: 'string' },
      image_size: { type: 'string' },
      data: { type: 'string' },
      limit: { type: 'string' },
      batch_size: { type: 'string', default: '50' },
    },
  });
  if (!values.model_weights) throw new Error('--model_weights is required (a tfjs model folder or a Keras .h5 file)');
  const imageSize = values.image_size ? Number(values.image_size) : undefined;
  const backend = await selectBackend();
  console.error(`backend: ${backend.name}`);

  // The architecture comes with a tfjs model; for .h5 it is rebuilt as the seed's FACIALModel did,
  // and the faces are prepared as that model was trained (48: as stored; 200: bytescale + PIL bilinear).
  const { trained, facial, results } = await verifyModel({
    model: values.model_weights,
    imageSize,
    data: values.data,
    limit: values.limit ? Number(values.limit) : undefined,
    batchSize: Number(values.batch_size),
  });
  for (const r of Object.values(results)) console.error(`${r!.split}: ${r!.support} images, ${r!.imagesPerSecond.toFixed(1)} images/s`);
  process.stdout.write(formatSeedTable(results));
  trained.model.dispose();
  facial.dispose();
}

main().catch((err: Error) => {
  console.error(`verify_model: ${err.message}`);
  process.exitCode = 1;
});
