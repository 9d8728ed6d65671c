#!/usr/bin/env node
// The `xborder` command: runs the compiled CLI (npm run build, done by npm start and npm test).
import('../dist/agent/main.js');
