/**
 * The one sample rate of speech audio everywhere: the page's audio tap resamples each participant to it, the
 * mixed-audio fallback asks ffmpeg for it, and every speech engine and the VAD take it (16 kHz mono, 16-bit
 * little-endian PCM). Pure.
 */
export const SPEECH_SAMPLE_RATE = 16_000;
