#!/usr/bin/env node
// Removes the dist/ folder of the package it runs in, so each build starts empty: a file whose source
// was moved or deleted must not linger in dist/ and be published (`files` ships dist/ whole).
import { rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
