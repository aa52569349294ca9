#!/usr/bin/env node
// placeholder until the twampd entry lands (issue 7)
