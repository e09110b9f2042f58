// CommonJS callers: Node 22.12+ loads the ESM package through require(esm).
try {
  const leasehold = require('leasehold');
  console.log(`require: ${typeof leasehold.LeaderElector}`);
} catch (error) {
  console.log(`require failed: ${error.code}: ${error.message.split('\n')[0]}`);
}
