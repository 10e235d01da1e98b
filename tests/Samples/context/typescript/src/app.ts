import { formatCurrency, ReceiptPrinter } from "./format";

export function summarize(total: number): string {
  return 
}
